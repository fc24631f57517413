// Jest transform: compiles one ESM file of node_modules to CommonJS (see jest.config.mjs for why).
const ts = require('typescript');

module.exports = {
  process(source, fileName) {
    const out = ts.transpileModule(source, {
      fileName,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, allowJs: true },
    });
    return { code: out.outputText };
  },
};
