import { toSignetError } from "../../errors/index.js";
import { loadWebhookConfig } from "../config/load-config.js";
import { createWebhookLogger } from "./logger.js";
import { serveWebhook } from "./serve.js";

export interface RunWebhookOptions {
  readonly configFile: string | undefined;
  /** Flag values under their config names; they override the file. */
  readonly flags: Record<string, unknown>;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * `signet webhook serve`: runs until SIGTERM or SIGINT, then shuts down gracefully and resolves with the exit
 * code. A second signal during shutdown exits at once.
 */
export async function runWebhook(options: RunWebhookOptions): Promise<number> {
  const config = await loadWebhookConfig({ ...(options.configFile !== undefined ? { configFile: options.configFile } : {}), flags: options.flags });
  const logger = await createWebhookLogger({ level: config.logLevel });
  const { evaluateImage } = await import("../evaluate/index.js");
  let running;
  try {
    running = await serveWebhook({ config, evaluateImage, logger, env: options.env });
  } catch (error) {
    const signetError = toSignetError(error);
    logger.fatal({ code: signetError.code, error: signetError.message, details: signetError.details }, "webhook did not start");
    logger.flush();
    throw error;
  }
  const webhook = running;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, "second signal: exiting now");
        logger.flush();
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, "signal received");
      webhook
        .close()
        .then(
          () => 0,
          (error: unknown) => {
            logger.error({ error: toSignetError(error).message }, "shutdown failed");
            return 1;
          },
        )
        .then((code) => {
          process.off("SIGTERM", onSignal);
          process.off("SIGINT", onSignal);
          logger.flush();
          resolve(code);
        });
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}
