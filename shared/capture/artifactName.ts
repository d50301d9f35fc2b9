/**
 * Artifact names: slash-separated segments of [a-z0-9_.-], as our collector
 * scripts write them. A name becomes a path in exports (artifacts/NAME) and
 * in whatever tool unpacks them, so a segment that is empty, `.` or `..`
 * (and with it an absolute name) is never valid, wherever the name came from:
 * a frame from the host, a manifest, or an old database.
 */
const SEGMENT = /^[a-z0-9_.-]+$/;

export const MAX_ARTIFACT_NAME = 200;

/** Why a name is not a valid artifact name, or null when it is. */
export function artifactNameProblem(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_ARTIFACT_NAME) return `it is longer than ${MAX_ARTIFACT_NAME} characters`;
  const segments = name.split('/');
  if (segments[0] === '') return 'it is absolute';
  for (const s of segments) {
    if (s === '') return 'it has an empty segment';
    if (s === '.' || s === '..') return `it has a ${s} segment`;
    if (!SEGMENT.test(s)) return 'it has characters other than a-z, 0-9, _, . and -';
  }
  return null;
}
