// The Graph page's drawing: fetch the neighbourhood the page lists (data-api) and draw it
// with cytoscape.js (static/vendor). Clicking a node opens its page. The list under the
// drawing holds the same nodes as links, for keyboards and for JavaScript off.
"use strict";
(function () {
  function cssVar(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function elements(data) {
    const nodes = data.nodes.map((node) => ({
      group: "nodes",
      data: { id: node.id, label: node.label, kind: node.kind, url: node.url, depth: node.depth },
      classes: node.kind + (node.id === data.centre ? " centre" : ""),
    }));
    const edges = data.edges.map((edge, index) => ({
      group: "edges",
      data: { id: "e" + index, source: edge.source, target: edge.target, relation: edge.relation },
    }));
    return nodes.concat(edges);
  }

  // Rings around the centre, one per step of the walk, each turned a little against the one
  // inside it so that an edge does not run straight through another node.
  function rings(data) {
    const byDepth = new Map();
    data.nodes.forEach((node) => {
      if (!byDepth.has(node.depth)) byDepth.set(node.depth, []);
      byDepth.get(node.depth).push(node.id);
    });
    const positions = {};
    let radius = -160;
    [...byDepth.keys()].sort((a, b) => a - b).forEach((depth) => {
      const ids = byDepth.get(depth);
      radius = depth === 0 ? 0 : Math.max(radius + 160, ids.length * 12); // ~75 px apart on a ring
      ids.forEach((id, index) => {
        const angle = (2 * Math.PI * index) / ids.length + depth * 0.9 - Math.PI / 3;
        positions[id] = { x: radius * Math.cos(angle), y: radius * Math.sin(angle) };
      });
    });
    return positions;
  }

  function style() {
    const fg = cssVar("--fg", "#1b1f24");
    const bg = cssVar("--bg", "#ffffff");
    const muted = cssVar("--muted", "#5b6470");
    return [
      { selector: "node", style: {
        label: "data(label)", color: fg, "font-size": 11, "text-valign": "bottom", "text-margin-y": 4,
        "text-wrap": "ellipsis", "text-max-width": 160, width: 22, height: 22,
        "text-background-color": bg, "text-background-opacity": 0.8, "text-background-padding": 2 } },
      { selector: "node.memory", style: { "background-color": cssVar("--graph-memory", "#0b5cad") } },
      { selector: "node.note", style: { "background-color": cssVar("--graph-note", "#1e7b34"), shape: "round-rectangle" } },
      { selector: "node.centre", style: {
        width: 34, height: 34, "border-width": 4, "border-color": cssVar("--graph-centre", "#f59e0b"),
        "font-weight": "bold", "font-size": 13 } },
      { selector: "edge", style: {
        label: "data(relation)", "font-size": 9, color: muted, width: 1.5, "line-color": muted,
        "target-arrow-color": muted, "target-arrow-shape": "triangle", "curve-style": "bezier",
        "text-rotation": "autorotate", "text-background-color": bg, "text-background-opacity": 0.8 } },
    ];
  }

  function draw(container, data) {
    container.hidden = false;
    const legend = document.querySelector(".graph-legend");
    if (legend) legend.hidden = false;
    const cy = window.cytoscape({
      container: container,
      elements: elements(data),
      style: style(),
      layout: { name: "preset", positions: rings(data), fit: true, padding: 40, animate: false },
      maxZoom: 2,
      wheelSensitivity: 0.3,
    });
    cy.on("tap", "node", (event) => window.location.assign(event.target.data("url")));
    cy.on("mouseover", "node", () => { container.style.cursor = "pointer"; });
    cy.on("mouseout", "node", () => { container.style.cursor = ""; });
    window.memvaultGraph = cy;
    container.dataset.state = "drawn";
  }

  function failed(container, error) {
    container.hidden = false;
    const line = document.createElement("p");
    line.className = "graph-error";
    line.textContent = "The drawing could not be loaded (" + error.message + "); the list below is complete.";
    container.replaceChildren(line);
    container.dataset.state = "failed";
  }

  document.addEventListener("DOMContentLoaded", () => {
    const container = document.getElementById("graph");
    if (!container || !window.cytoscape) return;
    window.memvault.getJson(container.dataset.api).then(
      (data) => draw(container, data),
      (error) => failed(container, error),
    );
  });
})();
