import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../../helpers/peers.js";

export const ADMISSION_FIXTURES = join(REPO_ROOT, "test", "fixtures", "admission");
export const FIXTURE_REGISTRY = "registry.example.com";

/** An AdmissionReview fixture as untrusted JSON; `registry` replaces the fixtures' registry host. */
export function loadReview(name: string, registry?: string): Record<string, unknown> {
  let text = readFileSync(join(ADMISSION_FIXTURES, name), "utf8");
  if (registry !== undefined) text = text.replaceAll(FIXTURE_REGISTRY, registry);
  return JSON.parse(text) as Record<string, unknown>;
}

export function fixtureNames(): string[] {
  return readdirSync(ADMISSION_FIXTURES).filter((name) => name.endsWith(".json")).sort();
}
