import { createRequire as __ghmlCreateRequire } from 'node:module'; const require = __ghmlCreateRequire(import.meta.url);
import{b as a,c as b}from"./chunk-HQSR4VMW.js";import"./chunk-CIGG7W7P.js";export{b as buildProgram,a as commandsFor};
