// Opens headless Chromium on edge player pages (hls.js in low-latency mode for a stream with parts), lets them play,
// and prints what each page saw as JSON: stalls, errors, renditions played and how far behind live it played
// (program date time of the playhead against the wall clock, sampled every 250 ms after the first 5 s of playing).
// Usage: node lowlatency.mjs SECONDS URL [URL...]
// With SWITCH_AFTER_S=n in the environment, the first page's viewer picks another rendition from the page's menu after n
// seconds (the lowest if hls.js plays another, else the highest); the result says which (switchedTo) and when.
// With STAGGER_S=n, each page after the first opens n seconds after the one before, so that two viewers' start-ups do
// not fall on the same moment of a shared host (each page is measured from its own start).
// No WebRTC here (the mesh is off for streams with parts), so it needs no network namespace.
import { chromium } from "playwright-core";

const [secondsArg, ...urls] = process.argv.slice(2);
const seconds = Number(secondsArg || 30);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
});
const sleep = ms => new Promise(r => setTimeout(r, ms));
const pages = [];
const stagger = Number(process.env.STAGGER_S || 0);
for (const [index, url] of urls.entries()) {
  if (index > 0 && stagger > 0) await sleep(stagger * 1000);
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("pageerror", e => consoleErrors.push(String(e)));
  await page.goto(url);
  await page.evaluate(() => {
    const v = document.getElementById("video");
    window.__waiting = 0;
    window.__videoErrors = 0;
    window.__stalledMs = 0;
    window.__behindLive = [];
    window.__playingSince = null;
    let since = null;
    // A stall counts once playback has begun (the start-up buffering is not a stall).
    window.__waitingAt = [];
    window.__aheadAtWaiting = [];
    v.addEventListener("waiting", () => {
      if (v.currentTime > 1) {
        window.__waiting++;
        // What was buffered ahead of the playhead when it stalled (0 is an empty buffer, not a decoder hiccup).
        const b = v.buffered;
        window.__aheadAtWaiting.push(b.length ? Math.round(1000 * (b.end(b.length - 1) - v.currentTime)) : -1);
        window.__waitingAt.push(Math.round(performance.now()));
        // Waiting while the player seeks (hls.js jumping to its live target) is told apart, not left out.
        window.__seekingAtWaiting.push(v.seeking);
        since ??= performance.now();
      }
    });
    // Every seek (only hls.js seeks here), so that a failure can tell its start-up and catch-up seeks from a stall:
    // [performance.now(), from (the playhead at the last timeupdate), to, hls.js' live sync position, buffered ranges].
    window.__seeks = [];
    let lastTime = 0;
    v.addEventListener("timeupdate", () => { if (!v.seeking) lastTime = v.currentTime; });
    v.addEventListener("seeking", () => {
      const ranges = [];
      for (let i = 0; i < v.buffered.length; i++) ranges.push([+v.buffered.start(i).toFixed(3), +v.buffered.end(i).toFixed(3)]);
      const sync = typeof window.stripecast?.liveSyncPosition === "function" ? window.stripecast.liveSyncPosition() : null;
      if (window.__seeks.length < 50) {
        window.__seeks.push([Math.round(performance.now()), +lastTime.toFixed(3), +v.currentTime.toFixed(3), sync === null ? null : +sync.toFixed(3), ranges]);
      }
    });
    window.__playingAt = [];
    v.addEventListener("playing", () => {
      if (window.__playingAt.length < 20) window.__playingAt.push(Math.round(performance.now()));
      window.__playingSince ??= performance.now();
      if (since !== null) { window.__stalledMs += performance.now() - since; since = null; }
    });
    v.addEventListener("error", () => window.__videoErrors++);
    // A page that plays at once (a short start-up) may have played before these listeners were added.
    if (!v.paused && v.readyState >= 3) window.__playingSince = performance.now();
    window.__seekingAtWaiting = [];
    setInterval(() => {
      const s = window.stripecast;
      const playingFor = window.__playingSince === null ? 0 : performance.now() - window.__playingSince;
      if (s && typeof s.playingDateMs === "function" && playingFor > 5000 && !v.paused) {
        const pdt = s.playingDateMs();
        if (pdt) window.__behindLive.push(Date.now() - pdt);
      }
    }, 250);
  });
  pages.push({ index, url, page, context, consoleErrors });
}
const switchAfter = Number(process.env.SWITCH_AFTER_S || 0);
if (switchAfter > 0 && switchAfter < seconds && pages.length > 0) {
  await sleep(switchAfter * 1000);
  const first = pages[0];
  first.switchedTo = await first.page.evaluate(() => {
    const s = window.stripecast;
    const count = s.levels.length;
    if (count < 2) return null;
    return s.level() === 0 ? count - 1 : 0;
  });
  if (first.switchedTo !== null) {
    first.switchedAtMs = await first.page.evaluate(() => Math.round(performance.now()));
    await first.page.selectOption("#rendition", String(first.switchedTo));
  }
  await sleep((seconds - switchAfter) * 1000);
} else {
  await sleep(seconds * 1000);
}
const result = { pages: [] };
for (const o of pages) {
  const s = await o.page.evaluate(() => ({
    currentTime: document.getElementById("video").currentTime,
    waiting: window.__waiting, stalledMs: Math.round(window.__stalledMs), videoErrors: window.__videoErrors,
    errors: window.stripecast?.errors ?? [], lowLatency: window.stripecast?.lowLatency ?? null,
    levels: window.stripecast?.levels ?? [], levelSwitches: window.stripecast?.levelSwitches ?? [],
    partsLoaded: window.stripecast?.partsLoaded ?? 0, startupMs: window.stripecast?.startupMs ?? null,
    bufferStalls: window.stripecast?.bufferStalls ?? [], waitingAt: window.__waitingAt, seekingAtWaiting: window.__seekingAtWaiting,
    aheadAtWaiting: window.__aheadAtWaiting, seeks: window.__seeks, playingAt: window.__playingAt, loads: window.stripecast?.loads ?? [], openedAt: Math.round(performance.timeOrigin),
    targetLatency: typeof window.stripecast?.targetLatency === "function" ? window.stripecast.targetLatency() : null,
    behindLive: window.__behindLive,
  }));
  result.pages.push({ index: o.index, url: o.url, ...s, consoleErrors: o.consoleErrors,
    switchedTo: o.switchedTo ?? null, switchedAtMs: o.switchedAtMs ?? null });
}
console.log(JSON.stringify(result));
await browser.close();
