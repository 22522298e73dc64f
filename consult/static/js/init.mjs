// Starts GOV.UK Frontend's components (character count, error summary focus, ...). A static file,
// never an inline script, so that the Content Security Policy can stay at script-src 'self'.
import { initAll } from "../vendor/govuk-frontend/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
