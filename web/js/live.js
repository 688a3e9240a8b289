// Live ticket changes over SignalR: one connection per page, reconnect with back-off, a resync after each reconnect.

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 30000;
const OFFLINE_AFTER_RETRIES = 3; // past this many failed retries the page says "offline", not "reconnecting"

/** Exponential back-off with jitter so many browsers do not reconnect in lockstep after an outage. */
export function backoffDelay(retry, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** retry);
  return Math.round(ceiling * (0.75 + 0.5 * random()));
}

/**
 * Connect to the `tickets` hub through /api/negotiate and report:
 * onTicket(summary) per `ticketChanged`, onState(state, detail) for connecting | live | reconnecting | offline,
 * onResync(liveSince) whenever the socket goes live, because changes made while it was down were never delivered;
 * a view whose latest fetch started after `liveSince` (performance.now()) already has them.
 */
export function connectLive({ onTicket, onState, onResync, hubUrl = '/api' }) {
  const signalR = window.signalR;
  if (!signalR) {
    onState('offline', { reason: 'The SignalR client is missing (web/vendor); run scripts/vendor_web.py.' });
    return { stop() {} };
  }
  let stopped = false;
  let retryTimer = null;
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(hubUrl)
    .withAutomaticReconnect({
      nextRetryDelayInMilliseconds(context) {
        const delay = backoffDelay(context.previousRetryCount);
        if (context.previousRetryCount >= OFFLINE_AFTER_RETRIES) onState('offline', { retryInMs: delay });
        return delay; // never null: an on-call dashboard keeps trying
      },
    })
    .configureLogging(signalR.LogLevel.Warning)
    .build();

  connection.on('ticketChanged', (summary) => {
    if (summary && typeof summary === 'object' && summary.id) onTicket(summary);
  });
  connection.onreconnecting(() => onState('reconnecting', {}));
  connection.onreconnected(() => {
    onState('live', {});
    onResync(performance.now());
  });
  // Reached only when the automatic reconnect cannot help (e.g. the server refused reconnection).
  connection.onclose(() => {
    if (!stopped) start(1);
  });

  async function start(attempt) {
    onState(attempt === 0 ? 'connecting' : 'reconnecting', {});
    try {
      await connection.start();
    } catch {
      const delay = backoffDelay(attempt);
      onState(attempt >= OFFLINE_AFTER_RETRIES ? 'offline' : 'reconnecting', { retryInMs: delay });
      if (!stopped) retryTimer = setTimeout(() => start(attempt + 1), delay);
      return;
    }
    onState('live', {});
    onResync(performance.now()); // the view's first fetch may have raced the socket
  }

  start(0);
  return {
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      return connection.stop();
    },
  };
}
