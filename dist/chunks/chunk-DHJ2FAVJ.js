import { createRequire as __ghmlCreateRequire } from 'node:module'; const require = __ghmlCreateRequire(import.meta.url);
var t=class extends Error{hint;exitCode;constructor(s,e={}){super(s,e.cause===void 0?void 0:{cause:e.cause}),this.name="GhmlError",this.hint=e.hint,this.exitCode=e.exitCode??1}},i=class extends t{constructor(s,e={}){super(s,{...e,exitCode:2}),this.name="UsageError"}};function u(n){return n instanceof t?n.hint?`${n.message}
  hint: ${n.hint}`:n.message:n instanceof Error?n.message:String(n)}export{t as a,i as b,u as c};
