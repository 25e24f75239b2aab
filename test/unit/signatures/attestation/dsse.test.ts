import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { generateSigningKey } from "../../../../src/keys/index.js";
import { IN_TOTO_PAYLOAD_TYPE, parseDsseEnvelope, preAuthEncoding, signDsseEnvelope, verifyDsseSignatures } from "../../../../src/signatures/attestation/dsse.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const key = generateSigningKey();
const other = generateSigningKey();

describe("DSSE", () => {
  test("PAE uses byte lengths of the UTF-8 encoding, not string lengths (A.11)", () => {
    // The DSSE spec's own example.
    assert.equal(preAuthEncoding("http://example.com/HelloWorld", Buffer.from("hello world")).toString(), "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
    const pae = preAuthEncoding("tÿpe", Buffer.from("é", "utf8"));
    assert.equal(pae.toString("utf8"), "DSSEv1 5 tÿpe 2 é");
  });

  test("an envelope signed with a key verifies with it, and with no other key", async () => {
    const envelope = parseDsseEnvelope(await signDsseEnvelope(key, IN_TOTO_PAYLOAD_TYPE, Buffer.from("{}")));
    assert.equal(verifyDsseSignatures(envelope, [other.publicKey, key.publicKey]), 1);
    assert.throws(() => verifyDsseSignatures(envelope, [other.publicKey]), (e: Error & { code?: string }) => e.code === "SIG_INVALID");
  });

  test("the payload type is signed: an envelope presented with another type fails (A.11)", async () => {
    const bytes = await signDsseEnvelope(key, "application/json", Buffer.from("{}"));
    const swapped = JSON.parse(bytes.toString()) as Record<string, unknown>;
    swapped["payloadType"] = IN_TOTO_PAYLOAD_TYPE;
    const envelope = parseDsseEnvelope(Buffer.from(JSON.stringify(swapped)));
    await assertRejectsWithCode(() => verifyDsseSignatures(envelope, [key.publicKey]), "SIG_INVALID");
  });

  test("the layout is cosign's: payloadType, payload, signatures[{keyid, sig}]", async () => {
    const text = (await signDsseEnvelope(key, IN_TOTO_PAYLOAD_TYPE, Buffer.from("x"))).toString();
    assert.match(text, /^\{"payloadType":"application\/vnd\.in-toto\+json","payload":"eA==","signatures":\[\{"keyid":"","sig":"[A-Za-z0-9+/=]+"\}\]\}$/);
  });

  const malformed: [string, unknown][] = [
    ["an empty payload", { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: "", signatures: [{ sig: "AA==" }] }],
    ["a payload that is not base64", { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: "not base64!", signatures: [{ sig: "AA==" }] }],
    ["null signatures (A.33)", { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: "e30=", signatures: null }],
    ["no signatures", { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: "e30=", signatures: [] }],
    ["a signature that is not an object", { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: "e30=", signatures: [null] }],
    ["a signature without sig", { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: "e30=", signatures: [{ keyid: "" }] }],
    ["no payloadType", { payload: "e30=", signatures: [{ sig: "AA==" }] }],
    ["too many signatures (bundle bomb)", { payloadType: IN_TOTO_PAYLOAD_TYPE, payload: "e30=", signatures: Array.from({ length: 1000 }, () => ({ sig: "AA==" })) }],
    ["an array", []],
  ];
  for (const [name, value] of malformed) {
    test(`an envelope with ${name} is ATTESTATION_INVALID`, async () => {
      await assertRejectsWithCode(() => parseDsseEnvelope(Buffer.from(JSON.stringify(value))), "ATTESTATION_INVALID");
    });
  }

  test("an envelope with a key twice is refused rather than read one way", async () => {
    const text = `{"payloadType":"${IN_TOTO_PAYLOAD_TYPE}","payload":"e30=","payload":"e30=","signatures":[{"sig":"AA=="}]}`;
    await assertRejectsWithCode(() => parseDsseEnvelope(Buffer.from(text)), "ATTESTATION_INVALID");
  });

  test("URL-safe base64 payloads are accepted, as the DSSE spec allows", () => {
    const payload = Buffer.from([0xfb, 0xff, 0xfe]);
    const envelope = parseDsseEnvelope(Buffer.from(JSON.stringify({ payloadType: "t", payload: payload.toString("base64url"), signatures: [{ sig: "AA" }] })));
    assert.deepEqual(envelope.payload, payload);
  });
});

