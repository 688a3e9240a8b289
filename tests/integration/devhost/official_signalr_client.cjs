// Drives the official @microsoft/signalr client against devhost, exactly as the dashboard does:
// withUrl("<base>/api") -> POST /api/negotiate -> redirect {url, accessToken} -> negotiate -> WebSocket.
// Prints one JSON line per event; stops when stdin closes.
const signalR = require("@microsoft/signalr");

const base = process.argv[2];

// The client's Node default (node-fetch + fetch-cookie) picks up Azurite's hoisted tough-cookie 2.x and
// fails; browsers use their own fetch, so this script does the same with Node 20's global fetch.
class GlobalFetchHttpClient extends signalR.HttpClient {
  async send(request) {
    const response = await fetch(request.url, {
      method: request.method, headers: request.headers, body: request.content, signal: request.abortSignal,
    });
    const content = await response.text();
    if (!response.ok) throw new signalR.HttpError(content || response.statusText, response.status);
    return new signalR.HttpResponse(response.status, response.statusText, content);
  }
  getCookieString() { return ""; }
}

const emit = (event, data) => process.stdout.write(JSON.stringify({ event, ...data }) + "\n");

const connection = new signalR.HubConnectionBuilder()
  .withUrl(base + "/api", { httpClient: new GlobalFetchHttpClient() })
  .withAutomaticReconnect([0, 300, 600, 1000, 1000, 1000, 2000, 2000])
  .configureLogging(signalR.LogLevel.Warning)
  .build();

connection.on("broadcastTest", (...args) => emit("message", { args }));
connection.onreconnecting((error) => emit("reconnecting", { error: String(error) }));
connection.onreconnected(() => emit("reconnected", {}));
connection.onclose((error) => emit("closed", { error: String(error) }));

connection.start()
  .then(() => emit("connected", { state: connection.state }))
  .catch((error) => { emit("failed", { error: String(error) }); process.exit(1); });

process.stdin.resume();
process.stdin.on("end", () => connection.stop().then(() => process.exit(0)));
