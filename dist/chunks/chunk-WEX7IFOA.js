import { createRequire as __ghmlCreateRequire } from 'node:module'; const require = __ghmlCreateRequire(import.meta.url);
import{m as r}from"./chunk-DJOJPKF5.js";async function e(t,o){return r({setting:t.config.artifacts.store,env:o,gitDir:await t.git.gitDir()})}export{e as a};
