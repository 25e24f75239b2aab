import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { writeTestKubeconfig } from "../kube/fake-apiserver.js";

/** A fake Kubernetes API on 127.0.0.1 (plain HTTP) serving service accounts and secrets from maps. */
export interface FakeKubeApi {
  readonly kubeconfig: string;
  readonly requests: string[];
  /** Path to an object; a number answers that status instead. */
  readonly objects: Map<string, unknown>;
  stop(): Promise<void>;
}

export const TOKEN = "test-token";

export async function startFakeKubeApi(): Promise<FakeKubeApi> {
  const objects = new Map<string, unknown>();
  const requests: string[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    requests.push(request.url ?? "");
    if (request.headers.authorization !== `Bearer ${TOKEN}`) {
      response.writeHead(401).end();
      return;
    }
    const found = objects.get(request.url ?? "");
    if (found === undefined || typeof found === "number") {
      response.writeHead(typeof found === "number" ? found : 404, { "content-type": "application/json" }).end('{"kind":"Status"}');
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(found));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const kubeconfig = await writeTestKubeconfig(`http://127.0.0.1:${port}`, TOKEN);
  return {
    kubeconfig,
    requests,
    objects,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function dockerConfigSecret(auths: Record<string, { username: string; password: string }>): unknown {
  const entries = Object.fromEntries(Object.entries(auths).map(([host, { username, password }]) => [host, { auth: Buffer.from(`${username}:${password}`).toString("base64") }]));
  return { kind: "Secret", type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": Buffer.from(JSON.stringify({ auths: entries })).toString("base64") } };
}

export function serviceAccount(secrets: string[]): unknown {
  return { kind: "ServiceAccount", imagePullSecrets: secrets.map((name) => ({ name })) };
}
