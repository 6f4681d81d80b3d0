// Opens N headless Chromium pages on a relay's player page, lets them play, closes one mid-stream,
// and prints what each page saw as JSON. Run inside a loopback-only network namespace.
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
for (let i = 0; i < pages; i++) {
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
  opened.push({ index: i, page, context, consoleErrors, hostile: i < hostile });
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
const churn = process.env.MESH_CHURN !== "none";
const closeAt = churn ? Math.floor(seconds * 0.6) * 1000 : seconds * 1000;
await sleep(closeAt);
let closedEntry = null;
if (churn) {
  const closed = opened.pop();
  const beforeClose = await sample(closed);
  await closed.context.close();
  closedEntry = { index: closed.index, ...beforeClose, consoleErrors: closed.consoleErrors };
}
const atClose = [];
for (const o of opened) atClose.push(await sample(o));
await sleep(seconds * 1000 - closeAt);
const result = { closed: closedEntry, pages: [] };
for (let i = 0; i < opened.length; i++) {
  const s = await sample(opened[i]);
  result.pages.push({ index: opened[i].index, hostile: opened[i].hostile, ...s, currentTimeAtClose: atClose[i].currentTime,
    waitingAtClose: atClose[i].waiting, consoleErrors: opened[i].consoleErrors });
}
console.log(JSON.stringify(result));
await browser.close();
