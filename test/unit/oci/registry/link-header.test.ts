import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseNextLink } from "../../../../src/oci/registry/link-header.js";

describe("parseNextLink", () => {
  test("reads the registry's relative next link", () => {
    assert.equal(parseNextLink('</v2/app/tags/list?last=b&n=2>; rel="next"'), "/v2/app/tags/list?last=b&n=2");
  });

  test("finds rel=next among several links, with or without quotes", () => {
    assert.equal(parseNextLink('<https://r.example/a>; rel="prev", <https://r.example/b>; rel=next'), "https://r.example/b");
    assert.equal(parseNextLink('<https://r.example/a?x=1,2>; title="a, b"; rel="first next"'), "https://r.example/a?x=1,2");
  });

  test("reads every header of a repeated Link", () => {
    assert.equal(parseNextLink(['<a>; rel="prev"', '<b>; rel="next"']), "b");
  });

  test("no next link", () => {
    assert.equal(parseNextLink(undefined), undefined);
    assert.equal(parseNextLink('<a>; rel="prev"'), undefined);
    assert.equal(parseNextLink("garbage"), undefined);
    assert.equal(parseNextLink(`<${"x".repeat(10_000)}>; rel="next"`), undefined);
  });
});
