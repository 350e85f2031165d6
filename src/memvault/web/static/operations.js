// The operations page's live embedding queue: polls /api/jobs and updates the numbers, the bar
// and the failures in place. Every second while jobs are queued or running; every few seconds
// while idle, so work another process queues (an import, a CLI remember) shows up; not at all
// while the tab is hidden. Without this file the page shows the queue as of its load.
"use strict";
// Deferred scripts run in document order and app.js (window.memvault) comes after the page's
// own: start once all of them have run.
document.addEventListener("DOMContentLoaded", () => {
  const queue = document.getElementById("queue");
  if (!queue || !window.memvault) return;
  const BUSY_MS = 1000;
  const IDLE_MS = 3000;
  const field = (name) => queue.querySelector(`[data-job="${name}"]`);
  let looping = false; // a timer is set or a request is out

  function when(value) {
    const time = document.createElement("time");
    time.dateTime = value;
    time.textContent = `${value.slice(0, 19).replace("T", " ")} UTC`;
    return time;
  }

  function failureRow(failure) {
    const row = document.createElement("tr");
    const link = document.createElement("a");
    link.className = "mono";
    link.href = `/memories/${encodeURIComponent(failure.memory_id)}`;
    link.textContent = failure.memory_id;
    const cells = [String(failure.job_id), link, String(failure.attempts), failure.error, when(failure.updated_at)];
    for (const content of cells) {
      const cell = document.createElement("td");
      cell.append(content);
      row.append(cell);
    }
    return row;
  }

  function show(state) {
    const counts = state.counts;
    for (const name of ["queued", "running", "done", "failed", "total"]) {
      field(name).textContent = String(counts[name]);
    }
    const bar = document.getElementById("jobs-progress");
    bar.max = counts.total || 1;
    bar.value = counts.total ? state.finished : 1;
    bar.textContent = `${state.percent}%`;
    field("percent").textContent = `${state.percent}%`;
    const summary = field("summary");
    if (summary.textContent !== state.summary) summary.textContent = state.summary; // announced once
    field("worker").textContent = state.worker_running ? "yes" : "no";
    const table = field("failures");
    table.tBodies[0].replaceChildren(...state.failures.map(failureRow));
    table.hidden = state.failures.length === 0;
    field("no-failures").hidden = state.failures.length > 0;
    document.getElementById("retry-failed").disabled = counts.failed === 0;
    queue.dataset.pending = String(state.pending);
  }

  function schedule(busy) {
    looping = !document.hidden; // a hidden tab stops here; visibilitychange starts it again
    if (looping) window.setTimeout(poll, busy ? BUSY_MS : IDLE_MS);
  }

  async function poll() {
    looping = true;
    let busy = false;
    try {
      const state = await window.memvault.getJson("/api/jobs");
      show(state);
      busy = state.pending > 0;
    } catch (error) {
      // The server is restarting or the session ended: keep the last numbers, ask again later.
    }
    schedule(busy);
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && !looping) poll();
  });
  schedule(Number(queue.dataset.pending) > 0);
});
