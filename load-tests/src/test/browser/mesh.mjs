// Opens N headless Chromium pages on a relay's player page, lets them play, closes one mid-stream (or, with
// MESH_CHURN=rolling, replaces one every few seconds), and prints what each page saw as JSON. Run inside a loopback-only network namespace.
import { chromium } from "playwright-core";

const [url, pagesArg, secondsArg, hostileArg] = process.argv.slice(2);
const pages = Number(pagesArg || 4);
const seconds = Number(secondsArg || 40);
// The first `hostile` pages corrupt every large message they send over WebRTC: peers that hand out garbage.
const hostile = Number(hostileArg || 0);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
    // WebRTC between pages on one host with only loopback:
    "--allow-loopback-in-peer-connection", "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns"],
});
const sleep = ms => new Promise(r => setTimeout(r, ms));
const opened = [];
let nextIndex = 0;
// Opens one page on the player and starts counting its stalls and video errors.
const openPage = async () => {
  const i = nextIndex++;
  const context = await browser.newContext();
  await context.grantPermissions(["camera", "microphone"]);
  if (process.env.MESH_TURN === "1") {
    // Keep every RTCPeerConnection the page makes, to read which candidates its connections use.
    await context.addInitScript(() => {
      const Original = window.RTCPeerConnection;
      window.__pcs = [];
      const Recorded = function (...args) {
        const pc = new Original(...args);
        window.__pcs.push(pc);
        return pc;
      };
      Recorded.prototype = Original.prototype;
      Object.setPrototypeOf(Recorded, Original);
      window.RTCPeerConnection = Recorded;
    });
  }
  if (i < hostile) {
    await context.addInitScript(() => {
      const send = RTCDataChannel.prototype.send;
      RTCDataChannel.prototype.send = function (data) {
        if (data && data.byteLength > 4096) {
          const view = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
          const copy = new Uint8Array(view);
          for (let b = 64; b < copy.length; b += 512) copy[b] ^= 0x5a;
          return send.call(this, copy);
        }
        return send.call(this, data);
      };
    });
  }
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("pageerror", e => consoleErrors.push(String(e)));
  // PAGE_URLS (space-separated): page i opens the i-th (signed URLs, a different token per page); else every page opens url.
  const pageUrls = process.env.PAGE_URLS ? process.env.PAGE_URLS.split(" ") : [url];
  await page.goto(pageUrls[i % pageUrls.length]);
  await page.evaluate(() => {
    const v = document.getElementById("video");
    window.__waiting = 0;
    window.__videoErrors = 0;
    window.__stalledMs = 0;
    let since = null;
    v.addEventListener("waiting", () => { if (v.currentTime > 3) { window.__waiting++; since ??= performance.now(); } });
    v.addEventListener("playing", () => { if (since !== null) { window.__stalledMs += performance.now() - since; since = null; } });
    v.addEventListener("error", () => window.__videoErrors++);
  });
  const entry = { index: i, page, context, consoleErrors, hostile: i < hostile, openedAtMs: Date.now() - startedAt };
  opened.push(entry);
  return entry;
};
const startedAt = Date.now();
for (let i = 0; i < pages; i++) {
  await openPage();
  await sleep(1000);
}
// Local candidate types of the connections that carried data (succeeded pairs), e.g. {"relay": 3}.
const candidateTypes = async o => o.page.evaluate(async () => {
  const types = {};
  for (const pc of window.__pcs || []) {
    try {
      const report = await pc.getStats();
      report.forEach(r => {
        if (r.type === "candidate-pair" && r.state === "succeeded" && r.bytesReceived + r.bytesSent > 0) {
          const local = report.get(r.localCandidateId);
          if (local) types[local.candidateType] = (types[local.candidateType] || 0) + 1;
        }
      });
    } catch (e) { /* closed */ }
  }
  return types;
});
const sample = async o => ({ ...(await sampleOf(o)), candidateTypes: await candidateTypes(o) });
const sampleOf = async o => o.page.evaluate(() => ({
  currentTime: document.getElementById("video").currentTime,
  http: window.stripecast.http, p2p: window.stripecast.p2p, uploaded: window.stripecast.uploaded,
  peers: window.stripecast.peers.size, errors: window.stripecast.errors, rejected: window.stripecast.rejected,
  badSignatures: window.stripecast.badSignatures ?? 0, signaturesVerified: window.stripecast.signaturesVerified ?? 0,
  waiting: window.__waiting, videoErrors: window.__videoErrors, stalledMs: Math.round(window.__stalledMs),
  p2pSegments: window.stripecast.p2pSegments ?? 0, role: window.stripecast.role ?? null, roles: window.stripecast.roles ?? [],
  startupMs: window.stripecast.startupMs ?? null,
  latency: (l => l.length ? l.reduce((a, b) => a + b, 0) / l.length : null)((window.stripecast.latency ?? []).slice(3)),
}));
// MESH_CHURN=none keeps every page to the end (the lab's offload figure); by default the last page leaves at 60 %.
// MESH_CHURN=rolling: every MESH_CHURN_EVERY seconds (default 10) the longest-playing page leaves and a new one joins,
// so the swarm keeps its size while its members change; pages that left are reported under `left`.
const churnMode = process.env.MESH_CHURN ?? "one";
const leaveEntry = async o => {
  const beforeClose = await sample(o);
  await o.context.close();
  return { index: o.index, openedAtMs: o.openedAtMs, leftAtMs: Date.now() - startedAt, ...beforeClose, consoleErrors: o.consoleErrors };
};
const result = { closed: null, left: [], pages: [] };
const atClose = new Map();
if (churnMode === "rolling") {
  const everyMs = Number(process.env.MESH_CHURN_EVERY || 10) * 1000;
  const endAt = Date.now() + seconds * 1000;
  while (Date.now() + everyMs < endAt) {
    await sleep(everyMs);
    // The oldest page still playing leaves (a non-hostile one: hostile pages are the test's, not churn's).
    const leaving = opened.find(o => !o.hostile);
    opened.splice(opened.indexOf(leaving), 1);
    result.left.push(await leaveEntry(leaving));
    await openPage();
  }
  await sleep(Math.max(0, endAt - Date.now()));
} else {
  const churn = churnMode !== "none";
  const closeAt = churn ? Math.floor(seconds * 0.6) * 1000 : seconds * 1000;
  await sleep(closeAt);
  if (churn) result.closed = await leaveEntry(opened.pop());
  for (const o of opened) atClose.set(o, await sample(o));
  await sleep(seconds * 1000 - closeAt);
}
for (const o of opened) {
  const s = await sample(o);
  const close = atClose.get(o);
  result.pages.push({ index: o.index, hostile: o.hostile, openedAtMs: o.openedAtMs, ...s,
    currentTimeAtClose: close?.currentTime ?? s.currentTime, waitingAtClose: close?.waiting ?? s.waiting, consoleErrors: o.consoleErrors });
}
console.log(JSON.stringify(result));
await browser.close();
