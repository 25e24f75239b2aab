import type { ContainerImage } from "../admission/types.js";

/**
 * Warnings name the container they are about, as the evaluation writes them: `signet: init container "setup"
 * IMAGE: TEXT` (src/webhook/evaluate/evaluate-image.ts). Cached verdicts keep TEXT only and are re-addressed
 * to the container that asks; a test pins the format against the evaluation's own output.
 */
export function imageWarningPrefix(image: Pick<ContainerImage, "kind" | "containerName" | "image">): string {
  const kind = image.kind === "initContainer" ? "init container" : image.kind === "ephemeralContainer" ? "ephemeral container" : image.kind === "imageVolume" ? "image volume" : "container";
  return `signet: ${kind} ${JSON.stringify(image.containerName)} ${image.image}: `;
}

export function formatImageWarning(image: Pick<ContainerImage, "kind" | "containerName" | "image">, text: string): string {
  return imageWarningPrefix(image) + text;
}
