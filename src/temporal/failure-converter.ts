/**
 * The failure converter of every client and worker (and, through
 * failureConverterPath, of the workflow sandbox): a failure's message and stack
 * trace move into an encoded payload, which the payload codec then encrypts. By
 * default they travel in cleartext, and an error message may quote a student's
 * data.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
