// memvault's page works without this file; it adds the live parts (progress, the graph).
// The CSRF token of the session is in <meta name="csrf-token">: every write fetch sends it.
"use strict";
window.memvault = {
  csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  },
  async getJson(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    return response.json();
  },
  async postJson(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": this.csrf() },
      credentials: "same-origin",
      body: JSON.stringify(body || {}),
    });
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    return response.json();
  },
};
