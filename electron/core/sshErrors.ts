/**
 * SSH failures in words: what happened and what to do, as ApiErrors the UI shows as they are.
 */
import { ApiError } from '../../shared/contract/errors';
import type { SshTarget } from './sshConnection';

export const seconds = (ms: number) => `${Math.max(1, Math.round(ms / 1000))} s`;

export function cancelledWhile(what: string): ApiError {
  return new ApiError('cancelled', `Cancelled while waiting for ${what}.`);
}

/** The server refused a session channel (sshd beyond its MaxSessions says "open failed"). */
export class ChannelRefused extends Error {}

/** An exec channel that could not be opened: a refusal the channel pool can learn from, or the error in words. */
export function execOpenError(err: Error): Error {
  return err instanceof ApiError ? err : /open failed/i.test(err.message) ? new ChannelRefused(err.message) : new ApiError('remote-failed', `Could not open an exec channel: ${err.message}`);
}

/** A connection attempt that failed, with what auth tried and what the server accepts when auth was the problem. */
export function describeConnectError(
  err: Error & { level?: string; code?: string },
  t: SshTarget,
  tried: readonly string[],
  serverMethods: readonly string[] | null,
  authProblem?: ApiError,
): ApiError {
  const where = `${t.user}@${t.hostname}:${t.port}`;
  const msg = err.message ?? String(err);
  if (err.code === 'ECONNREFUSED') return new ApiError('connect-refused', `Connection to ${where} was refused.`, 'Check the host and port, and that sshd is running there.');
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return new ApiError('dns', `Cannot resolve host name ${t.hostname}.`, 'Check the spelling or use an IP address.');
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') return new ApiError('connect-refused', `${where} is unreachable (${err.code}).`, 'Check the network path to the host.');
  if (/timed out/i.test(msg) || err.code === 'ETIMEDOUT') return new ApiError('connect-timeout', `Timed out connecting to ${where}.`, 'Check the host is reachable and the port is right.');
  if (err.level === 'client-authentication' || /authentication methods failed/i.test(msg)) {
    const triedText = tried.length > 0 ? tried.join(', ') : 'nothing (no agent, no usable key, no way to prompt)';
    return new ApiError(
      'auth-failed',
      `Authentication as ${t.user} on ${where} failed. Tried, in order: ${triedText}.${serverMethods ? ` The server accepts: ${serverMethods.join(', ')}.` : ''}${authProblem ? ` ${authProblem.message}` : ''}`,
      'Check the user name, that the key is in the remote authorized_keys, or load it into ssh-agent.',
    );
  }
  return new ApiError('remote-failed', `SSH connection to ${where} failed: ${msg}`);
}
