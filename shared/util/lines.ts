/**
 * Splits text arriving in chunks into lines, so a parser sees the same
 * lines whether it is fed a whole file or a stream of arbitrary pieces.
 * A single line longer than maxLineLength is cut (and reported) rather
 * than grown without bound.
 */
export interface LineSplitter {
  push(chunk: string): void;
  end(): void;
}

export function createLineSplitter(onLine: (line: string, lineNo: number) => void, opts: { maxLineLength?: number; onOverlong?: (lineNo: number) => void } = {}): LineSplitter {
  const max = opts.maxLineLength ?? 1 << 20;
  let carry = '';
  let lineNo = 0;
  let overlong = false;
  const emit = (line: string) => {
    lineNo++;
    onLine(line.endsWith('\r') ? line.slice(0, -1) : line, lineNo);
  };
  return {
    push(chunk) {
      let pos = 0;
      while (pos < chunk.length) {
        const nl = chunk.indexOf('\n', pos);
        if (nl < 0) {
          if (!overlong) carry += chunk.slice(pos);
          if (carry.length > max) {
            carry = carry.slice(0, max);
            if (!overlong) opts.onOverlong?.(lineNo + 1);
            overlong = true;
          }
          return;
        }
        const piece = overlong ? '' : chunk.slice(pos, nl);
        const line = carry + piece;
        carry = '';
        overlong = false;
        emit(line.length > max ? line.slice(0, max) : line);
        pos = nl + 1;
      }
    },
    end() {
      if (carry.length > 0 || overlong) emit(carry);
      carry = '';
    },
  };
}
