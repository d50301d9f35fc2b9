/** What a terminal pane's element carries for end-to-end tests and the bench: a WebGL canvas has no text to read. */
import type { MethodOutput } from '../../../shared/contract/api';
import type { TerminalWriter } from './terminalWriter';

export interface TerminalProbe {
  /** The text of the rows on screen. */
  screenText(): string;
  /** Resolves once a drawn frame shows `text` (checked after each render). */
  whenShown(text: string): Promise<void>;
  /** The writer's counters: batches written, batches parsed with drawing held, frames released during floods, frames drawn, most characters queued. */
  readonly stats: TerminalWriter['stats'];
  /** The backend's flow-control counters for this terminal (`terminal.flow`). */
  flow(): Promise<MethodOutput<'terminal.flow'>>;
  /** Calls `listener` with each piece of output as it arrives from the backend, in order; returns an unsubscribe. */
  tap(listener: (data: string) => void): () => void;
}

/** The element with data-testid="terminal". */
export interface TerminalPaneElement extends HTMLDivElement {
  gsTerminal?: TerminalProbe;
}
