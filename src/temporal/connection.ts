/**
 * Connections to Temporal that close cleanly. The SDK retries a failed call
 * (Temporal unreachable, say) on a timer, and `Connection.close()` leaves that
 * timer armed: when it fires, the closed channel throws "Channel has been shut
 * down" inside the timer, an uncaught exception that kills the process (a
 * gateway stopping while Temporal was down; a test closing its client). Every
 * connection we open comes from here: the SDK's own retry interceptor, then a
 * guard that answers a call made after close with CANCELLED, which the retry
 * hands to its caller as an error instead of throwing.
 */
import * as grpc from '@grpc/grpc-js';
import { Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions } from '@temporalio/client';

function closeGuard(): { interceptor: grpc.Interceptor; close: () => void } {
  let closed = false;
  const interceptor: grpc.Interceptor = (options, nextCall) => {
    if (!closed) return new grpc.InterceptingCall(nextCall(options));
    return new grpc.InterceptingCall(null as unknown as ConstructorParameters<typeof grpc.InterceptingCall>[0], {
      start: (_metadata, listener) => {
        setImmediate(() =>
          listener.onReceiveStatus({ code: grpc.status.CANCELLED, details: 'the Temporal connection was closed', metadata: new grpc.Metadata() }),
        );
      },
      sendMessage: () => {},
      halfClose: () => {},
      cancel: () => {},
    });
  };
  return { interceptor, close: () => (closed = true) };
}

/** Connects on first use; close() also stops calls still waiting to be retried. */
export function lazyTemporalConnection(options: ConnectionOptions): Connection {
  const guard = closeGuard();
  const connection = Connection.lazy({ ...options, interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), guard.interceptor] });
  const close = connection.close.bind(connection);
  connection.close = async () => {
    guard.close();
    await close();
  };
  return connection;
}

/** Connects now, as Connection.connect does (fails if Temporal does not answer within the connect timeout). */
export async function connectTemporal(options: ConnectionOptions): Promise<Connection> {
  const connection = lazyTemporalConnection(options);
  await connection.ensureConnected();
  return connection;
}
