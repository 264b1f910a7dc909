// Progressive enhancement: forms marked data-async submit in the background and
// show the server's answer in place, so adding to the cart never leaves the page.
// Without JavaScript the same forms post and redirect back.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.matches("form[data-async]")) return;
  event.preventDefault();
  // Busy, not disabled: disabling the focused button would drop the keyboard focus to the
  // page body, and the customer would have to tab back from the top for the next product.
  if (form.getAttribute("aria-busy") === "true") return;
  form.setAttribute("aria-busy", "true");
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
    form.removeAttribute("aria-busy");
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

// After a failed submit the focus goes to the first field in error (it carries its error
// text through aria-describedby), else to a form-level error (role=alert, tabindex=-1), so
// the customer lands where the problem is and a screen reader says what it is.
// Centred, not just scrolled to the edge: the label above and the button below stay in sight.
const firstError = document.querySelector("[aria-invalid=true], [data-focus-error]");
if (firstError) {
  firstError.focus({ preventScroll: true });
  firstError.scrollIntoView({ block: "center" });
}

// The sticky bar's real height keeps focused elements and #fragments clear of it
// (html { scroll-padding-top } in app.css).
const topbar = document.querySelector(".topbar");
const measureTopbar = () => {
  if (topbar) document.documentElement.style.setProperty("--topbar-height", `${topbar.offsetHeight}px`);
};

// A table wider than the screen scrolls inside its wrapper; a keyboard user can scroll it
// only if the wrapper takes the focus, and a screen reader needs to know what it is.
// Named by its caption, else by the heading it sits under, so two tables on a page differ.
const headingBefore = (element) => {
  for (let node = element; node && node.tagName !== "MAIN"; node = node.parentElement) {
    for (let sibling = node.previousElementSibling; sibling; sibling = sibling.previousElementSibling) {
      const heading = sibling.matches("h1, h2, h3") ? sibling : sibling.querySelector("h1, h2, h3");
      if (heading) return heading.textContent.trim();
    }
  }
  return "";
};
const markScrollableTables = () => {
  const label = document.querySelector("main")?.dataset.tableLabel || "";
  document.querySelectorAll(".table-wrap").forEach((wrap) => {
    const scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
    if (scrolls && !wrap.hasAttribute("tabindex")) {
      wrap.tabIndex = 0;
      wrap.setAttribute("role", "region");
      const name = wrap.querySelector("caption")?.textContent.trim() || headingBefore(wrap);
      if (!wrap.hasAttribute("aria-label")) wrap.setAttribute("aria-label", name ? `${name}: ${label}` : label);
    }
  });
};
const onResize = () => { measureTopbar(); markScrollableTables(); };
onResize();
window.addEventListener("resize", onResize);
