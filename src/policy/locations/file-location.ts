// Moved to internal/ so that the key layer can read files the same way; the policy keeps its import path.
export { readFileLocation } from "../../internal/file-location.js";
