// The audit page is rendered on the server; this only runs the header's
// clock, as on every console page.
import { startClock } from "./api.js";

startClock();
