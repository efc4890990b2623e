// carebell's service worker: shows the push notifications carebell sends to this browser
// and opens the page a notification is about when it is clicked. Written for this project.
"use strict";

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (_) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || "carebell", {
    body: data.body || "",
    tag: data.tag || undefined,
    lang: data.lang || undefined,
    dir: data.dir || "auto",
    icon: "/assets/icon.svg",
    data: { url: data.url || "/dashboard" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/dashboard";
  event.waitUntil((async () => {
    for (const client of await self.clients.matchAll({ type: "window", includeUncontrolled: true })) {
      if (client.url === url && "focus" in client) return client.focus();
    }
    return self.clients.openWindow(url);
  })());
});
