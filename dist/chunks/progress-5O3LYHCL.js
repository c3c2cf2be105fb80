import { createRequire as __ghmlCreateRequire } from 'node:module'; const require = __ghmlCreateRequire(import.meta.url);
import{a}from"./chunk-FHD4YQVQ.js";import"./chunk-A64BJCOY.js";import"./chunk-CIGG7W7P.js";export{a as createProgress};
