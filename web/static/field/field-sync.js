/* GPMB field view: the queue of field actions and its sync (window.GPMB_SYNC).
 *
 * Every action (handover with its GPS fix, note, photo, inventory check) is queued in
 * IndexedDB first, with an idempotency key and the case as the tablet saw it, then sent
 * one at a time, oldest first. An action leaves the queue only when the server has
 * answered for it: applied, or kept as a conflict or refusal, which go to the list of
 * answers a person must look at. A failed push says why, loudly, and keeps the action:
 * signed out (sign in again: the queue resumes), refused with the server's message,
 * server unreachable or failing. Signing out wipes what was downloaded, after a warning
 * when actions are still waiting. */
(function () {
  "use strict";
  var F = window.GPMBF, S = window.GPMB_STORE, _ = F._, $ = F.$, esc = F.esc;
  var TIMEOUT_MS = 30000;
  var RETRY_MS = 30000;
  var KIND_LABELS = { handover: "Xác nhận bàn giao mặt bằng", note: "Ghi chú hiện trường",
                      photo: "Ảnh hiện trường", inventory: "Kiểm tra kiểm đếm" };
  var state = { queue: [], answers: [], sending: null, failure: null, hooks: {}, seq: 0 };

  function sorted(items) { return items.sort(function (a, b) { return a.seq - b.seq; }); }

  function reload() {
    return Promise.all([S.all("queue"), S.all("answers")]).then(function (r) {
      state.queue = sorted(r[0]);
      state.answers = r[1].sort(function (a, b) { return a.answeredAt < b.answeredAt ? 1 : -1; });
      render();
    });
  }

  function enqueue(action, photo) {
    state.seq = Math.max(state.seq + 1, Date.now());
    var item = Object.assign({ key: F.newKey(), seq: state.seq, queuedAt: new Date().toISOString(),
                               done_at: new Date().toISOString(), attempts: 0 }, action);
    if (photo) { item.photo = photo; }
    return S.put("queue", item).then(reload).then(function () {
      flush();
      return item;
    });
  }

  /* ---- sending ---- */
  function Failure(kind, text) { this.kind = kind; this.text = text; }

  function wire(item) {
    return { key: item.key, kind: item.kind, case_id: item.case_id, base: item.base,
             done_at: item.done_at, note: item.note || null, gps: item.gps || null,
             inventory_item: item.inventory_item || null,
             inventory_found: item.inventory_found === undefined ? null : item.inventory_found,
             minutes_no: item.minutes_no || null };
  }

  function post(item) {
    var form = new FormData();
    form.append("action", JSON.stringify(wire(item)));
    if (item.photo) { form.append("photo", item.photo, "anh-hien-truong.jpg"); }
    var ctrl = new AbortController();
    var timer = setTimeout(function () { ctrl.abort(); }, TIMEOUT_MS);
    return fetch("/field/api/actions", {
      method: "POST", body: form, credentials: "same-origin", signal: ctrl.signal,
      headers: { "X-CSRF-Token": F.csrfToken(), "Idempotency-Key": item.key, "Accept": "application/json" }
    }).then(function (res) {
      clearTimeout(timer);
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.ok && body.outcome) { return body; }
        var reason = ((body.extra || {}).reason) || "";
        if (res.status === 401 || (res.status === 403 && reason.indexOf("csrf") === 0)) {
          throw new Failure("signed_out", _("Phiên đăng nhập đã hết: {n} thao tác vẫn giữ trên máy. Hãy đăng nhập lại, việc gửi sẽ tiếp tục.", { n: state.queue.length }));
        }
        if (res.status >= 500 || res.status === 408 || res.status === 429 || !body.title) {
          throw new Failure("server", _("Máy chủ đang lỗi (HTTP {status}): {n} thao tác vẫn giữ trên máy, sẽ gửi lại sau.", { status: res.status, n: state.queue.length }));
        }
        // A definite no (bad or unlawful request): kept, visibly, in the list of answers.
        return { key: item.key, outcome: "refused", reasons: [body.title], server: null, local: true };
      });
    }, function () {
      clearTimeout(timer);
      throw new Failure("unreachable", _("Không kết nối được máy chủ: {n} thao tác vẫn giữ trên máy, sẽ tự gửi khi có sóng.", { n: state.queue.length }));
    });
  }

  function flush() {
    if (state.sending) { return state.sending; }
    state.sending = S.all("queue").then(function (items) {
      items = sorted(items);
      function one(i) {
        if (i >= items.length) { return null; }
        var item = items[i];
        return post(item).then(function (answer) {
          var kept = answer.outcome === "applied" ? null : Object.assign({
            answeredAt: new Date().toISOString(), action: Object.assign({}, item, { photo: null }),
            label: item.label, parcel_id: item.parcel_id, kind: item.kind }, answer);
          return S.answer(item.key, kept).then(function () {
            state.failure = null;
            (state.hooks.answered || function () {})(item, answer);
            return reload();
          }).then(function () { return one(i + 1); });
        });
      }
      return one(0);
    }).then(function () {
      state.failure = null;
    }, function (err) {
      state.failure = err instanceof Failure ? err : new Failure("server", String(err && err.message || err));
    }).then(function () {
      state.sending = null;
      render();
      // Actions queued while this round was sending go out now.
      if (!state.failure && state.queue.length) { return flush(); }
      return checkAnswers();
    });
    return state.sending;
  }

  // What became of the conflicts and refusals the server kept (a staff member may have
  // applied or discarded them meanwhile).
  function checkAnswers() {
    var open = state.answers.filter(function (a) { return !a.local && !a.resolution; });
    if (!open.length || !navigator.onLine) { return Promise.resolve(); }
    var keys = open.map(function (a) { return encodeURIComponent(a.key); }).join(",");
    return fetch("/field/api/actions/status?keys=" + keys, { credentials: "same-origin",
                                                             headers: { "Accept": "application/json" } })
      .then(function (res) { return res.ok ? res.json() : { actions: [] }; })
      .then(function (body) {
        var changed = (body.actions || []).filter(function (s) { return s.resolution; });
        return Promise.all(changed.map(function (s) {
          var mine = state.answers.filter(function (a) { return a.key === s.key; })[0];
          return S.put("answers", Object.assign({}, mine, { resolution: s.resolution, resolved_by: s.resolved_by,
                                                             resolved_at: s.resolved_at }));
        })).then(function () { return changed.length ? reload() : null; });
      })["catch"](function () { return null; });
  }

  /* ---- what the user sees ---- */
  function describe(item) {
    var what = _(KIND_LABELS[item.kind] || item.kind);
    if (item.kind === "inventory") { what += ": " + item.inventory_item + " — " + (item.inventory_found ? _("vẫn còn") : _("không còn")); }
    else if (item.note) { what += ": " + item.note; }
    return what;
  }

  function render() {
    var n = state.queue.length, open = state.answers.filter(function (a) { return !a.resolution; }).length;
    var count = $("queue-count");
    count.textContent = _("Chờ gửi: {n}", { n: n }) + (open ? " · " + _("Cần xử lý: {n}", { n: open }) : "");
    count.classList.toggle("waiting", n > 0);
    count.classList.toggle("attention", open > 0);
    $("net-dot").classList.toggle("queued", n > 0);
    var box = $("sync-status");
    var f = state.failure;
    box.hidden = !(f && n);
    if (f && n) {
      box.className = "sync-status " + f.kind;
      $("sync-text").textContent = f.text;
      var target = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      $("sync-login").hidden = f.kind !== "signed_out";
      $("sync-login").href = target;
      $("sync-retry").hidden = f.kind === "signed_out";
    }
    $("queue-list").innerHTML = state.queue.map(function (q) {
      return '<li class="queued" data-key="' + esc(q.key) + '"><span class="date">' + esc(F.stamp(q.done_at)) + "</span> <strong>" +
        esc(q.label || "") + "</strong><br>" + esc(describe(q)) + (q.gps ? ' <small>GPS ±' + F.num(q.gps.accuracy_m) + " m</small>" : "") + "</li>";
    }).join("") || "<li>" + esc(_("Không còn thao tác nào chờ gửi.")) + "</li>";
    $("answer-list").innerHTML = state.answers.map(function (a) {
      var status = a.resolution ? (a.resolution === "applied" ? _("Cán bộ đã áp dụng") : _("Cán bộ đã bỏ qua"))
        : (a.outcome === "conflict" ? _("Xung đột — chờ cán bộ xử lý") : _("Bị từ chối"));
      return '<li class="answer ' + esc(a.outcome) + (a.resolution ? " resolved" : "") + '" data-key="' + esc(a.key) + '">' +
        '<span class="badge">' + esc(status) + "</span> <strong>" + esc(a.label || "") + "</strong><br>" + esc(describe(a.action || a)) +
        '<ul class="reasons">' + (a.reasons || []).map(function (r) { return "<li>" + esc(_(r)) + "</li>"; }).join("") + "</ul>" +
        ((a.resolution || a.local) ? '<button type="button" class="btn btn-light forget" data-key="' + esc(a.key) + '">' + esc(_("Đã xem, xoá khỏi danh sách")) + "</button>" : "") + "</li>";
    }).join("");
    $("answers-box").hidden = state.answers.length === 0;
    Array.prototype.forEach.call(document.querySelectorAll("#answer-list .forget"), function (b) {
      b.addEventListener("click", function () { S.remove("answers", b.getAttribute("data-key")).then(reload); });
    });
    (state.hooks.changed || function () {})();
  }

  /* ---- signing out of a shared tablet ---- */
  function signOut() {
    if (state.queue.length) {
      $("signout-text").textContent = _("Còn {n} thao tác chưa gửi lên máy chủ. Đăng xuất sẽ xoá chúng cùng dữ liệu đã tải khỏi máy này.", { n: state.queue.length });
      $("signout-confirm").hidden = false;
      return Promise.resolve(false);
    }
    return wipeAndLeave();
  }

  function wipeAndLeave() {
    var token = F.csrfToken();
    state.leaving = true;
    return S.wipe().then(function () {
      state.queue = []; state.answers = [];
      return fetch("/api/auth/logout", { method: "POST", credentials: "same-origin",
                                        headers: { "X-CSRF-Token": token } })["catch"](function () { return null; });
    }).then(function () {
      S.forgetLocal();  // a card that arrived meanwhile
      location.href = "/login";
      return true;
    });
  }

  function start(hooks) {
    state.hooks = hooks || {};
    $("queue-count").addEventListener("click", function () {
      $("queue-box").hidden = !$("queue-box").hidden;
      if (!$("queue-box").hidden && state.hooks.opened) { state.hooks.opened(); }
    });
    $("sync-retry").addEventListener("click", flush);
    $("sign-out").addEventListener("click", signOut);
    $("signout-yes").addEventListener("click", wipeAndLeave);
    $("signout-no").addEventListener("click", function () { $("signout-confirm").hidden = true; });
    window.addEventListener("online", flush);
    setInterval(function () { if (state.queue.length) { flush(); } }, RETRY_MS);
    return reload().then(flush);
  }

  window.GPMB_SYNC = {
    start: start, enqueue: enqueue, flush: flush, describe: describe,
    queue: function () { return state.queue; },
    answers: function () { return state.answers; },
    failure: function () { return state.failure ? state.failure.kind : null; },
    idle: function () { return !state.sending; },
    leaving: function () { return !!state.leaving; },
    pendingFor: function (caseId) { return state.queue.filter(function (q) { return q.case_id === caseId; }); }
  };
})();
