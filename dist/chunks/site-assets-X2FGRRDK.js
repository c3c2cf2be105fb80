import { createRequire as __ghmlCreateRequire } from 'node:module'; const require = __ghmlCreateRequire(import.meta.url);
import{a,b,c,d}from"./chunk-YVDVJUM3.js";import"./chunk-VGZJWZSA.js";import"./chunk-BQ7S3VIB.js";import"./chunk-DHJ2FAVJ.js";import"./chunk-CIGG7W7P.js";export{a as SITE_ASSET_FILES,b as SITE_MARKER,d as readSiteAssets,c as siteAssetsDir};
