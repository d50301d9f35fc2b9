/**
 * Text from a host made safe to print on a terminal. Process names, command
 * lines, prompts and reasons come from the host and may hold control
 * characters: ESC starts CSI and OSC sequences (colours, cursor moves, the
 * window title), C1 controls (U+0080-U+009F) do the same on terminals that
 * take them, and CR, BS and newline rewrite or forge rows. Like `ps` and
 * `ls -q`, each one is shown as '?'.
 */

/** C0 controls, DEL and C1 controls. */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
/** The same, less tab and newline, which the CLI's own multi-line text uses. */
const CONTROLS_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** One host value on one row: every control character, newline and tab included, becomes '?'. */
export function terminalField(text: string): string {
  return text.replace(CONTROLS, '?');
}

/** Whole text the CLI wrote (its own newlines and tabs kept): any other control character becomes '?'. */
export function terminalText(text: string): string {
  return text.replace(CONTROLS_BUT_LINES, '?');
}

/**
 * JSON text for a terminal, still the same data: JSON.stringify already writes C0 controls as
 * \u escapes; DEL and C1 are written the same way.
 */
export function terminalJson(json: string): string {
  return json.replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
