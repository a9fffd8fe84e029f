// Keeps each camera's state badge current without reloading the page.
const badges = new Map();
for (const li of document.querySelectorAll("li.camera")) {
  badges.set(li.dataset.id, li);
}

async function refresh() {
  try {
    const res = await fetch("/api/v1/cameras", { credentials: "same-origin" });
    if (!res.ok) return;
    for (const cam of await res.json()) {
      const li = badges.get(String(cam.id));
      if (!li) continue;
      const badge = li.querySelector("[data-state]");
      badge.textContent = cam.state;
      badge.className = "state state-" + cam.state;
      li.querySelector("[data-error]").textContent = cam.state === "offline" ? cam.status.last_error || "" : "";
    }
  } catch (e) {
    // The server is restarting; try again at the next tick.
  }
}

setInterval(refresh, 5000);
