// The Graph page's picture: the neighbourhood from /api/graph, drawn with Cytoscape.js
// (static/vendor/). The page's list already holds every node; this adds the drawing.
// Click a node: its page. Double-click: the graph re-centred on it (same depth).
// The instance is window.memvaultGraph, and the box gets data-state="ready" once laid out
// (the browser tests read both).
"use strict";
(function () {
  const SHORT = 28; // characters of a label drawn on the picture (the list has the long one)
  const MOST_ZOOM = 1.4; // how far a laid-out picture is zoomed in at most
  const MOST_DEPTH = 3;
  const CROWD = 40; // above this many nodes the rings leave no room for labels (shown on zoom)

  function variable(element, name, fallback) {
    const value = getComputedStyle(element).getPropertyValue(name).trim();
    return value || fallback;
  }

  function shortLabel(text) {
    return text.length <= SHORT ? text : text.slice(0, SHORT - 1).trimEnd() + "…";
  }

  function recentreUrl(node, depth) {
    const query = new URLSearchParams();
    query.set(node.data("kind") === "note" ? "note" : "id", node.id());
    query.set("depth", depth);
    return "/graph?" + query.toString();
  }

  function elements(data) {
    const nodes = data.nodes.map((node) => ({
      group: "nodes",
      data: { ...node, short: shortLabel(node.label) },
      classes: node.kind + (node.id === data.centre ? " centre" : ""),
    }));
    const edges = data.edges.map((edge, index) => ({
      group: "edges",
      data: { id: "edge-" + index, ...edge },
    }));
    return nodes.concat(edges);
  }

  function styles(box, crowded) {
    const colour = (name, fallback) => variable(box, name, fallback);
    // Crowded and so zoomed far out, labels wait for a zoom in (the pointer shows one below).
    const hidden = crowded ? [{ selector: "node, edge", style: { "min-zoomed-font-size": 8 } }] : [];
    return hidden.concat([
      {
        selector: "node",
        style: {
          label: "data(short)",
          color: colour("--fg", "#1b1f24"),
          "font-size": 12,
          "text-valign": "bottom",
          "text-margin-y": 4,
          "text-background-color": colour("--bg", "#ffffff"),
          "text-background-opacity": 0.8,
          "text-background-padding": 1,
          width: 22,
          height: 22,
        },
      },
      { selector: "node.memory", style: { "background-color": colour("--graph-memory", "#0b5cad") } },
      { selector: "node.chunk", style: { "background-color": colour("--graph-chunk", "#7b3fb0"), shape: "round-rectangle" } },
      { selector: "node.note", style: { "background-color": colour("--graph-note", "#1e7b34"), shape: "round-rectangle" } },
      {
        selector: "node.centre",
        style: { width: 34, height: 34, "border-width": 5, "border-color": colour("--graph-centre", "#f59e0b"), "font-weight": "bold" },
      },
      { selector: "node.lit, node:selected", style: { "border-width": 4, "border-color": colour("--focus", "#f59e0b") } },
      {
        selector: "edge",
        style: {
          width: 1.5,
          "curve-style": "bezier",
          "line-color": colour("--muted", "#5b6470"),
          "target-arrow-color": colour("--muted", "#5b6470"),
          "target-arrow-shape": "triangle",
          label: "data(relation)",
          "font-size": 10,
          color: colour("--muted", "#5b6470"),
          "text-rotation": "autorotate",
          "text-background-color": colour("--bg", "#ffffff"),
          "text-background-opacity": 0.8,
        },
      },
    ]);
  }

  function wire(cy, box) {
    const depth = box.dataset.depth || "1";
    // onetap waits out a possible second tap: a double-click re-centres instead of opening.
    cy.on("onetap", "node", (event) => window.location.assign(event.target.data("url")));
    cy.on("dbltap", "node", (event) => window.location.assign(recentreUrl(event.target, depth)));
    // Under the picture: the node the pointer is on, in full (a crowded picture hides labels).
    const hovered = document.getElementById("graph-hovered");
    cy.on("mouseover", "node", (event) => {
      box.style.cursor = "pointer";
      hovered.textContent = event.target.data("kind") + ": " + event.target.data("label");
    });
    cy.on("mouseout", "node", () => {
      box.style.cursor = "";
      hovered.textContent = "\u00a0";
    });
    // A node of the list that has the focus (or the pointer) is lit in the picture.
    for (const link of document.querySelectorAll(".graph-tree [data-node]")) {
      const node = () => cy.getElementById(link.dataset.node);
      const light = () => node().addClass("lit");
      const dim = () => node().removeClass("lit");
      link.addEventListener("focus", light);
      link.addEventListener("blur", dim);
      link.addEventListener("mouseenter", light);
      link.addEventListener("mouseleave", dim);
    }
  }

  async function draw() {
    const box = document.getElementById("graph");
    const view = document.getElementById("graph-view");
    if (!box || !view || typeof window.cytoscape !== "function") return;
    let data;
    try {
      data = await window.memvault.getJson(box.dataset.api);
    } catch (error) {
      const shown = document.getElementById("graph-error");
      shown.textContent = "The picture could not be loaded (" + error.message + "); the list below is complete.";
      view.hidden = false;
      shown.hidden = false;
      return;
    }
    view.hidden = false; // before Cytoscape measures its box
    const crowded = data.nodes.length > CROWD;
    const cy = window.cytoscape({
      container: box,
      elements: elements(data),
      style: styles(box, crowded),
      layout: { name: "preset" },
      minZoom: 0.05, // 200 nodes on one ring fit only far out
      maxZoom: 3,
    });
    window.memvaultGraph = cy;
    wire(cy, box);
    const layout = cy.layout({
      name: "concentric",
      concentric: (node) => MOST_DEPTH + 1 - node.data("depth"), // a ring per depth, centre inside
      levelWidth: () => 1,
      minNodeSpacing: crowded ? 4 : 70, // room for a label between nodes of a ring, if not crowded
      spacingFactor: data.nodes.length <= 8 ? 1.4 : 1,
      avoidOverlap: true,
      animate: false,
      fit: true,
      padding: 30,
    });
    layout.one("layoutstop", () => {
      cy.fit(undefined, 30);
      if (cy.zoom() > MOST_ZOOM) { // a few nodes fitted to the box would be drawn huge
        cy.zoom(MOST_ZOOM);
        cy.center();
      }
      // Drawn on Cytoscape's next animation frame: ready after it.
      requestAnimationFrame(() => requestAnimationFrame(() => { box.dataset.state = "ready"; }));
    });
    layout.run();
  }

  // Deferred scripts run in order before DOMContentLoaded: app.js (window.memvault) is there by then.
  document.addEventListener("DOMContentLoaded", draw);
})();
