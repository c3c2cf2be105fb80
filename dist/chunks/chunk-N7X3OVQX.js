import { createRequire as __ghmlCreateRequire } from 'node:module'; const require = __ghmlCreateRequire(import.meta.url);
import{a as e}from"./chunk-EOCM724L.js";function i(o,r=p=>process.stderr.write(`ghml: warning: ${p}
`)){return e(o,{warn:r})}export{i as a};
