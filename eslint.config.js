import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".demo/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-syntax": ["error", { selector: "ExportAllDeclaration", message: "No `export *`: name what a folder exports." }],
    },
  },
  {
    // Spreading an array into call arguments throws past ~100,000 elements (a 130,000-scope policy crashed lint).
    files: ["src/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        { selector: "ExportAllDeclaration", message: "No `export *`: name what a folder exports." },
        { selector: "CallExpression[callee.property.name=/^(push|unshift)$/] > SpreadElement", message: "Use appendAll (internal/arrays.ts): a spread into push throws on long arrays." },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name=/^(max|min)$/] > SpreadElement", message: "Use maxOf (internal/arrays.ts): a spread into Math.max throws on long arrays." },
      ],
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
