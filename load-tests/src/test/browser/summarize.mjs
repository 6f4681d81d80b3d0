// Summarises browser mesh runs (run-mesh.sh output directories) as Markdown table rows: offload per page and in
// total, stalls, startup time, latency behind live, and the relay's memory and CPU.
// Usage: node summarize.mjs OUT_DIR...
import { readFileSync, existsSync } from "node:fs";
import { join, basename } from "node:path";

const pct = x => (100 * x).toFixed(0) + "%";
console.log("| run | mesh | offload per page | offload total | stalls (events / ms, all pages) | startup ms (mean, max) | behind live s (mean) | relay RSS MB / CPU s |");
console.log("|---|---|---|---|---|---|---|---|");
for (const dir of process.argv.slice(2)) {
  const result = JSON.parse(readFileSync(join(dir, "pages.json"), "utf8"));
  const pages = [...result.pages, ...(result.closed ? [result.closed] : []), ...(result.left ?? [])].sort((a, b) => a.index - b.index);
  let http = 0, p2p = 0, waiting = 0, stalledMs = 0;
  const offloads = [], startups = [], latencies = [];
  for (const p of pages) {
    http += p.http; p2p += p.p2p; waiting += p.waiting; stalledMs += p.stalledMs ?? 0;
    offloads.push(p.http + p.p2p ? pct(p.p2p / (p.http + p.p2p)) : "-");
    if (p.startupMs != null) startups.push(p.startupMs);
    if (p.latency != null) latencies.push(p.latency);
  }
  let relay = "-";
  if (existsSync(join(dir, "relay-ps.txt"))) {
    const [rss, cpu] = readFileSync(join(dir, "relay-ps.txt"), "utf8").trim().split(/\s+/);
    const secs = (cpu || "0:0").split(":").reduce((a, b) => a * 60 + Number(b), 0);
    relay = `${(Number(rss) / 1024).toFixed(0)} / ${secs}`;
  }
  const mean = a => a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN;
  const mesh = pages.some(p => p.p2p > 0 || p.uploaded > 0) || basename(dir).includes("on") ? "on" : "off";
  console.log(`| ${basename(dir)} | ${mesh} | ${offloads.join(" ")} | ${http + p2p ? pct(p2p / (http + p2p)) : "-"} | ${waiting} / ${stalledMs} | `
    + `${mean(startups).toFixed(0)}, ${Math.max(...startups)} | ${mean(latencies).toFixed(1)} | ${relay} |`);
}
