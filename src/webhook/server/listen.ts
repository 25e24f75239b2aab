import type { AddressInfo, Server } from "node:net";

/** Starts `server` listening and resolves with the port it got (0 asks the kernel for a free one). */
export async function listen(server: Server, port: number, address: string | undefined): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
