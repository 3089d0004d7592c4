/**
 * What an upload panel says when a file did not arrive: a refusal (the gateway
 * judged the file and said no) is not an interruption (the connection broke or
 * the upload was stopped before any answer), and the student must know which:
 * after an interruption the same file may simply be sent again (the same bytes
 * are one file, docs/domain.md "Files and pages").
 */
import { ApiError } from '../api';

interface UploadProblem {
  heading: string;
  detail: string;
  /** The label of the button that sends the same file again. */
  retry: string;
}

export function uploadProblem(err: unknown): UploadProblem {
  if (err instanceof ApiError && err.code === 'NETWORK')
    return {
      // No answer says nothing of the bytes: they may all have arrived and been kept. Sending them again is safe.
      heading: 'The upload was interrupted. Your file may not have been saved.',
      detail:
        'The connection to the server broke before its answer came. Check your connection, then choose Retry to send the same file again: if it did arrive, it is not added twice.',
      retry: 'Retry',
    };
  return {
    heading: 'The file was not accepted, nothing was sent to the Academic Registry.',
    detail: err instanceof Error ? err.message : String(err),
    retry: 'Try again',
  };
}
