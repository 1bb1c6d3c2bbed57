/* reelq console: uploads through tus, live job list and job status over server-sent events.
   Everything shown from data is set with textContent (never innerHTML), so names stay text. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function size(n) {
    var units = ["bytes", "KB", "MB", "GB"], i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return i === 0 ? n + " bytes" : n.toFixed(1) + " " + units[i];
  }

  // -- forms that ask first ------------------------------------------------------------------
  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });

  // -- the job list ------------------------------------------------------------------------------
  function setStatus(node, data) {
    node.className = "status status-" + data.status;
    node.textContent = data.status_words || data.status;
  }

  function upsertRow(data) {
    var table = document.getElementById("jobs");
    if (!table) return;
    var body = table.tBodies[0];
    var row = body.querySelector('tr[data-job="' + data.job_id + '"]');
    if (!row) {
      row = el("tr", { "data-job": data.job_id });
      var thumb = el("td", { class: "thumb" });
      var name = el("td");
      name.appendChild(el("a", { href: "/console/jobs/" + data.job_id }, data.file_name));
      name.appendChild(document.createTextNode(" "));
      name.appendChild(el("span", { class: "muted" }, size(data.file_size || 0)));
      var st = el("td"); st.appendChild(el("span", { "data-status": "" }));
      var pr = el("td"); pr.appendChild(el("progress", { max: "1", value: "0", "aria-label": "Progress of " + data.file_name }));
      row.appendChild(thumb); row.appendChild(name); row.appendChild(st); row.appendChild(pr); row.appendChild(el("td", {}, "just now"));
      body.insertBefore(row, body.firstChild);
      var empty = document.getElementById("empty");
      if (empty) empty.remove();
    }
    setStatus(row.querySelector("[data-status]"), data);
    row.querySelector("progress").value = data.progress || 0;
    var cell = row.querySelector("td.thumb");
    if (data.poster && cell && !cell.querySelector("img")) {
      cell.appendChild(el("img", { class: "list-poster", src: data.poster, alt: "", width: "96", height: "54" }));
    }
    var info = row.cells[1];
    if (data.duration && info && !info.querySelector(".duration")) {
      info.querySelector(".muted").appendChild(document.createTextNode(" · "));
      info.querySelector(".muted").appendChild(el("span", { class: "duration" }, data.duration));
    }
    if (data.summary && info && !info.querySelector(".list-summary")) {
      info.appendChild(el("br"));
      info.appendChild(el("span", { class: "list-summary" }, data.summary));
    }
  }

  var jobsTable = document.getElementById("jobs");
  if (jobsTable && jobsTable.getAttribute("data-live") === "yes" && window.EventSource) {
    var listEvents = new EventSource("/console/events");
    listEvents.addEventListener("job", function (ev) { upsertRow(JSON.parse(ev.data)); });
  }

  // -- one job -------------------------------------------------------------------------------------
  var jobCard = document.getElementById("job");
  if (jobCard && jobCard.getAttribute("data-terminal") === "no" && window.EventSource) {
    var id = jobCard.getAttribute("data-job");
    var jobEvents = new EventSource("/console/jobs/" + id + "/events");
    var show = function (ev) {
      var data = JSON.parse(ev.data);
      if (data.status === "deleted") { window.location.href = "/console/"; return; }
      setStatus(jobCard.querySelector("[data-status]"), data);
      document.getElementById("progress").value = data.progress || 0;
      document.getElementById("percent").textContent = Math.round((data.progress || 0) * 100) + " %";
    };
    jobEvents.addEventListener("status", show);
    jobEvents.addEventListener("end", function (ev) {
      show(ev);
      jobEvents.close();
      window.location.reload(); // the results are rendered on the server
    });
  }

  // -- the player: markers, scenes and charts seek it -------------------------------------------
  var player = document.getElementById("player");
  function seek(t) {
    if (!player || player.hidden || !isFinite(t)) return;
    player.currentTime = Math.max(0, t);
    player.scrollIntoView({ block: "nearest" });
  }
  if (player) {
    player.addEventListener("error", function () {
      player.hidden = true; // a format this browser cannot decode: say so instead of a dead player
      document.getElementById("player-note").hidden = false;
    });
    document.addEventListener("click", function (ev) {
      var target = ev.target.closest ? ev.target.closest("[data-seek]") : null;
      if (target) seek(parseFloat(target.getAttribute("data-seek")));
    });
  }

  // -- charts: the value under the pointer or the keyboard's cursor ------------------------------
  function wireCharts(root) {
  Array.prototype.forEach.call(root.querySelectorAll("svg.chart[data-values]"), function (svg) {
    var values = JSON.parse(svg.getAttribute("data-values"));
    var start = parseFloat(svg.getAttribute("data-start"));
    var step = parseFloat(svg.getAttribute("data-step"));
    var end = parseFloat(svg.getAttribute("data-end"));
    var unit = svg.getAttribute("data-unit");
    var cursor = svg.querySelector(".cursor");
    var readout = svg.parentNode.querySelector(".readout");
    var at = 0;
    function show(i) {
      at = Math.min(Math.max(i, 0), values.length - 1);
      var t = start + (at + 0.5) * step;
      var x = ((t - start) / (end - start)) * 800;
      cursor.setAttribute("x1", x.toFixed(1)); cursor.setAttribute("x2", x.toFixed(1));
      var v = values[at];
      if (readout) readout.textContent = t.toFixed(1) + " s: " + (v === null ? "no value" : v + " " + unit);
      return t;
    }
    function indexAt(clientX) {
      var box = svg.getBoundingClientRect();
      var frac = Math.min(Math.max((clientX - box.left) / box.width, 0), 1);
      return { i: Math.floor(((start + frac * (end - start)) - start) / step), t: start + frac * (end - start) };
    }
    svg.addEventListener("pointermove", function (ev) { show(indexAt(ev.clientX).i); });
    svg.addEventListener("focus", function () { show(at); });
    svg.addEventListener("click", function (ev) {
      var mark = ev.target.closest ? ev.target.closest("[data-t]") : null;
      seek(mark ? parseFloat(mark.getAttribute("data-t")) : indexAt(ev.clientX).t);
    });
    svg.addEventListener("keydown", function (ev) {
      var big = Math.max(1, Math.round(values.length / 20));
      var moves = { ArrowLeft: -1, ArrowRight: 1, PageDown: big, PageUp: -big };
      if (ev.key in moves) { show(at + moves[ev.key]); ev.preventDefault(); }
      else if (ev.key === "Home") { show(0); ev.preventDefault(); }
      else if (ev.key === "End") { show(values.length - 1); ev.preventDefault(); }
      else if (ev.key === "Enter" || ev.key === " ") { seek(show(at) - step / 2); ev.preventDefault(); }
    });
  });

  }
  wireCharts(document);

  // -- the admin page: read again every few seconds, shown without a reload ----------------------
  var admin = document.getElementById("admin");
  if (admin) {
    var every = parseInt(admin.getAttribute("data-refresh"), 10) * 1000;
    var refresh = function () {
      var main = document.querySelector("main");
      // not while someone is using a control: a refresh must not take their focus or open details away
      if (main.contains(document.activeElement) && document.activeElement !== main) return;
      fetch(window.location.pathname, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
          if (!fresh) return;
          var nodes = Array.prototype.map.call(fresh.childNodes, function (n) { return document.importNode(n, true); });
          main.replaceChildren.apply(main, nodes);
          wireCharts(main);
        })
        .catch(function () {
          var stamp = document.getElementById("updated");
          if (stamp) stamp.textContent = stamp.textContent.replace(/ \(.*$/, "") + " (could not refresh; retrying)";
        });
    };
    window.setInterval(refresh, every);
  }

  // the raw result, fetched when first opened (it can be large)
  var raw = document.getElementById("raw");
  if (raw) {
    raw.addEventListener("toggle", function () {
      if (!raw.open || raw.getAttribute("data-loaded")) return;
      raw.setAttribute("data-loaded", "yes");
      var pre = document.getElementById("raw-json");
      fetch(raw.getAttribute("data-src"), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (data) { pre.textContent = JSON.stringify(data, null, 2); })
        .catch(function () { pre.textContent = "Could not load the result; reload the page to try again."; });
    });
  }

  // -- uploads -----------------------------------------------------------------------------------
  var zone = document.getElementById("dropzone");
  if (!zone) return;
  var list = document.getElementById("uploads");
  var input = document.getElementById("files");

  // An upload is in one of five states, each with its own words and style:
  // uploading → paused | done | refused (the server said no: its reason, no Resume) | failed (Resume).
  var active = 0;

  // A refusal is an answer that another try cannot change (415 not a video, 413 too large, 403 …);
  // 408/409/423/429 and 5xx or no answer at all are failures worth resuming.
  function refusal(err) {
    var res = err && err.originalResponse;
    var code = res ? res.getStatus() : 0;
    if (code < 400 || code >= 500 || [408, 409, 423, 429].indexOf(code) >= 0) return null;
    var detail = "";
    try { detail = JSON.parse(res.getBody()).detail || ""; } catch (e) { detail = ""; }
    return { code: code, detail: detail || "the server refused this file (" + code + ")" };
  }

  function startUpload(file) {
    var item = el("li", { class: "upload uploading", "data-state": "uploading" });
    var name = el("span", { class: "upload-name" }, file.name + " (" + size(file.size) + ")");
    var controls = el("span", { class: "upload-controls" });
    var toggle = el("button", { type: "button", class: "secondary" }, "Pause");
    var state = el("span", { class: "upload-state", role: "status" }, "Starting…");
    var bar = el("progress", { max: "100", value: "0", "aria-label": "Upload of " + file.name });
    controls.appendChild(state); controls.appendChild(document.createTextNode(" ")); controls.appendChild(toggle);
    item.appendChild(name); item.appendChild(controls); item.appendChild(bar);
    list.appendChild(item);
    var jobId = null;
    var running = false;

    function setState(kind, words) {
      item.className = "upload " + kind;
      item.setAttribute("data-state", kind);
      state.textContent = words;
      var now = kind === "uploading";
      if (now !== running) { active += now ? 1 : -1; running = now; }
    }

    var upload = new window.tus.Upload(file, {
      endpoint: zone.getAttribute("data-endpoint"),
      headers: { "X-CSRF-Token": csrf },
      metadata: { filename: file.name, filetype: file.type || "application/octet-stream" },
      chunkSize: 8 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000],
      // the upload's URL is kept in localStorage under the file's fingerprint (name, type, size, date),
      // so picking the same file again after a reload continues where the server stopped
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress: function (sent, total) {
        var pct = total ? Math.floor((sent / total) * 100) : 0;
        bar.value = pct;
        if (running) state.textContent = "Uploading " + pct + " %";
      },
      onAfterResponse: function (req, res) {
        var header = res.getHeader("Upload-Job-Id");
        if (header) jobId = header;
      },
      onSuccess: function () {
        bar.value = 100;
        toggle.remove();
        setState("done", "Uploaded ");
        if (jobId) {
          state.appendChild(el("a", { href: "/console/jobs/" + jobId }, "open job"));
          upsertRow({ job_id: jobId, file_name: file.name, file_size: file.size, status: "queued",
                      status_words: "Waiting for a worker", progress: 0 });
        }
      },
      onError: function (err) {
        var refused = refusal(err);
        if (refused) {
          toggle.remove();
          bar.remove();
          setState("refused", "Refused: " + refused.detail);
          // the server removed the data; a stale fingerprint would only point at nothing
          if (upload._urlStorageKey && window.localStorage) window.localStorage.removeItem(upload._urlStorageKey);
          return;
        }
        toggle.textContent = "Resume";
        setState("failed", "Failed: the upload stopped (no answer from the server); press Resume to try again");
      }
    });
    toggle.addEventListener("click", function () {
      if (running) { setState("paused", "Paused"); toggle.textContent = "Resume"; upload.abort(); }
      else { setState("uploading", "Resuming…"); toggle.textContent = "Pause"; upload.start(); }
    });
    setState("uploading", "Starting…");
    upload.findPreviousUploads().then(function (previous) {
      if (previous.length) {
        upload.resumeFromPreviousUpload(previous[0]);
        state.textContent = "Resuming where it stopped…";
      }
      upload.start();
    }, function () { upload.start(); });
  }

  // leaving the page stops its uploads: ask first while one is running (they resume when picked again)
  window.addEventListener("beforeunload", function (ev) {
    if (active > 0) { ev.preventDefault(); ev.returnValue = ""; }
  });

  function addFiles(files) { Array.prototype.forEach.call(files, startUpload); }
  input.addEventListener("change", function () { addFiles(input.files); input.value = ""; });
  zone.addEventListener("dragover", function (ev) { ev.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
  zone.addEventListener("drop", function (ev) {
    ev.preventDefault(); zone.classList.remove("over");
    if (ev.dataTransfer && ev.dataTransfer.files) addFiles(ev.dataTransfer.files);
  });
})();
