// carebell dashboard: keeps the page live through the notification stream.
// Written for this project; no framework, no build step. Without it every page still
// works (plain forms), only without live updates.
"use strict";

(function () {
  const meta = (name) => {
    const el = document.querySelector(`meta[name="${name}"]`);
    return el ? el.content : "";
  };
  const csrf = meta("csrf-token");
  const lang = meta("carebell-lang") || "en";
  const zone = meta("carebell-zone") || undefined;
  const list = document.querySelector("[data-notifications]");
  if (!list) return; // the sign-in page
  const template = document.getElementById("notification-template");
  const baseTitle = document.title;

  function setUnread(count) {
    for (const el of document.querySelectorAll("[data-unread]")) el.textContent = String(count);
    document.title = count > 0 ? `(${count}) ${baseTitle}` : baseTitle;
    document.body.dataset.unreadCount = String(count);
  }

  const timeFormat = new Intl.DateTimeFormat(lang === "ar" ? "ar-EG-u-nu-latn" : lang, {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone,
  });

  // Adds a notification at the top of the list, once.
  function addNotification(n) {
    if (list.querySelector(`[data-id="${n.id}"]`)) return;
    const item = template.content.firstElementChild.cloneNode(true);
    item.dataset.id = String(n.id);
    item.dataset.kind = n.kind;
    item.classList.add(n.severity);
    item.querySelector(".title").textContent = n.title;
    item.querySelector(".message").textContent = n.message;
    item.querySelector(".when").textContent = timeFormat.format(new Date(n.created_at));
    const form = item.querySelector("form");
    form.action = `/notifications/${n.id}/read`;
    form.dataset.markRead = String(n.id);
    list.prepend(item);
    const empty = document.querySelector("[data-empty]");
    if (empty) empty.hidden = true;
  }

  // Reloads the page's live sections (requests, appointments...) in the background.
  let refreshing = null;
  let stale = false;
  document.addEventListener("focusout", () => {
    if (stale) setTimeout(refreshSections, 0);
  });
  // A refresh asked for while one is under way runs once more after it, so that the page
  // never keeps a copy fetched before the latest change.
  let again = false;
  async function refreshSections() {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      try {
        const response = await fetch(location.href, { credentials: "same-origin" });
        if (!response.ok) return;
        const doc = new DOMParser().parseFromString(await response.text(), "text/html");
        stale = false;
        for (const section of document.querySelectorAll("[data-live][id]")) {
          // Leave alone the section the keyboard focus is in (someone typing, or tabbing
          // through buttons); it is refreshed when the focus leaves it.
          if (section.contains(document.activeElement) && document.activeElement !== document.body) {
            stale = true;
            continue;
          }
          const fresh = doc.getElementById(section.id);
          if (fresh) section.replaceChildren(...fresh.childNodes);
        }
      } finally {
        refreshing = null;
        if (again) {
          again = false;
          refreshSections();
        }
      }
    })();
    return refreshing;
  }

  // Mark read without leaving the page; the stream then updates every tab's count.
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    const id = form.dataset.markRead;
    const all = form.hasAttribute("data-mark-all");
    if (!id && !all) return;
    event.preventDefault();
    const url = all ? "/api/v1/notifications/read-all" : `/api/v1/notifications/${id}/read`;
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf },
    });
    if (!response.ok) { form.submit(); return; }
    const body = await response.json();
    setUnread(body.unread_count);
    const items = all ? list.querySelectorAll(".notification.unread") : list.querySelectorAll(`[data-id="${id}"]`);
    for (const item of items) {
      item.classList.replace("unread", "read");
      const f = item.querySelector("form");
      if (f) f.remove();
    }
  });

  // The stream position the page was rendered at. The stream starts after it, so one
  // delivered between the page's rendering and the stream's opening is not missed; the
  // browser's own reconnections send the last position they saw as Last-Event-ID.
  let lastId = Number(list.dataset.lastId || 0);

  function connect() {
    const stream = new EventSource(`/api/v1/notifications/stream?last_event_id=${lastId}`);
    stream.addEventListener("notification", (event) => {
      lastId = Math.max(lastId, Number(event.lastEventId) || 0);
      const data = JSON.parse(event.data);
      addNotification(data.notification);
      setUnread(data.unread_count);
      refreshSections();
    });
    stream.addEventListener("unread", (event) => {
      setUnread(JSON.parse(event.data).unread_count);
    });
    stream.addEventListener("open", () => { document.body.dataset.live = "connected"; });
    stream.addEventListener("error", () => {
      document.body.dataset.live = "reconnecting";
      // The browser reconnects by itself (sending Last-Event-ID) unless the server
      // refused the stream outright: then try again, or sign in again if the session
      // has ended.
      if (stream.readyState !== EventSource.CLOSED) return;
      setTimeout(async () => {
        const me = await fetch("/api/v1/me", { credentials: "same-origin" }).catch(() => null);
        if (me && me.status === 401) location.assign(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`);
        else connect();
      }, 3000);
    });
  }
  connect();
})();

// Notifications in this browser (the preferences page): registers the service worker
// served at /sw.js, subscribes with this installation's VAPID key and gives the
// subscription to carebell, or takes it back.
(function () {
  const section = document.getElementById("push");
  if (!section) return;
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const on = section.querySelector("[data-push-enable]");
  const off = section.querySelector("[data-push-disable]");
  const status = section.querySelector("[data-push-status]");
  const say = (key) => { status.textContent = section.dataset[key] || ""; section.dataset.state = key; };
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    section.querySelector("[data-push-unsupported]").hidden = false;
    section.dataset.state = "unsupported";
    return;
  }
  const api = (method, body) => fetch("/api/v1/me/push-subscriptions", {
    method, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body),
  });
  const key = async () => {
    const r = await fetch("/api/v1/push/key", { credentials: "same-origin" });
    const b64 = (await r.json()).public_key.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  };
  async function show() {
    const registration = await navigator.serviceWorker.getRegistration("/");
    const subscription = registration && await registration.pushManager.getSubscription();
    on.hidden = Boolean(subscription);
    off.hidden = !subscription;
    section.dataset.registered = registration ? "yes" : "no";
  }
  on.addEventListener("click", async () => {
    try {
      const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
      section.dataset.registered = "yes";
      if ((await Notification.requestPermission()) !== "granted") { say("textDenied"); return; }
      await navigator.serviceWorker.ready;
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: await key(),
      });
      const body = subscription.toJSON();
      body.user_agent = navigator.userAgent;
      const r = await api("POST", body);
      if (!r.ok) throw new Error(`carebell answered ${r.status}`);
      say("textOn");
    } catch (e) {
      section.dataset.error = String(e && e.message || e);
      say("textFailed");
    }
    show();
  });
  off.addEventListener("click", async () => {
    const registration = await navigator.serviceWorker.getRegistration("/");
    const subscription = registration && await registration.pushManager.getSubscription();
    if (subscription) {
      await api("DELETE", { endpoint: subscription.endpoint });
      await subscription.unsubscribe();
    }
    say("textOff");
    show();
  });
  show();
})();
