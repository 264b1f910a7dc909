// Progressive enhancement: forms marked data-async submit in the background and
// show the server's answer in place, so adding to the cart never leaves the page.
// Without JavaScript the same forms post and redirect back.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.matches("form[data-async]")) return;
  event.preventDefault();
  const button = form.querySelector("button[type=submit], button:not([type])");
  if (button) button.disabled = true;
  const note = form.querySelector(".note");
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json", "X-CSRFToken": document.querySelector("meta[name=csrf-token]").content },
      credentials: "same-origin",
    });
    const data = await response.json();
    if (note) note.textContent = data.message || "";
    if (data.quantity !== undefined) {
      const input = form.querySelector("input[name=quantity]");
      if (input && data.snapped) input.value = data.quantity;
    }
    const badge = document.querySelector("[data-cart-count]");
    if (badge && data.cart_count !== undefined) badge.textContent = data.cart_count;
    form.dataset.state = response.ok ? "ok" : "error";
  } catch (err) {
    if (note) note.textContent = form.dataset.offline || "Network error";
    form.dataset.state = "error";
  } finally {
    if (button) button.disabled = false;
  }
});

// A submit button clicked twice sends the form once; the server's idempotency key
// covers what gets through anyway (a resend, a retry after a timeout).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("form[data-once]")) return;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
});

// The pay page hands the browser a signed form for LiqPay: send it on at once (the
// button stays for browsers without scripts).
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
