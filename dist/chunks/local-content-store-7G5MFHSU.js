import { createRequire as __ghmlCreateRequire } from 'node:module'; const require = __ghmlCreateRequire(import.meta.url);
import{f as a,g as b,h as c,i as d}from"./chunk-TNY6GQR4.js";import"./chunk-DHJ2FAVJ.js";import"./chunk-CIGG7W7P.js";export{d as LocalContentStore,b as copyHashed,c as hashFile,a as localCacheRoot};
