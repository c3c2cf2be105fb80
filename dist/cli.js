import { createRequire as __ghmlCreateRequire } from 'node:module'; const require = __ghmlCreateRequire(import.meta.url);
import{a as t,c}from"./chunks/chunk-HQSR4VMW.js";import{a as s,c as i}from"./chunks/chunk-DHJ2FAVJ.js";import"./chunks/chunk-CIGG7W7P.js";function d(){let o=process.env,n=o.NO_COLOR!==void 0&&o.NO_COLOR!=="";return{out:r=>process.stdout.write(r.endsWith(`
`)?r:`${r}
`),err:r=>process.stderr.write(r.endsWith(`
`)?r:`${r}
`),color:!!process.stdout.isTTY&&!n&&o.TERM!=="dumb",interactive:!!process.stderr.isTTY&&o.CI!=="true"}}async function p(o){let n=d(),r=0,a=await c({io:n,env:process.env,cwd:process.cwd(),setExitCode:e=>r=e},"0.1.0",o);try{return await a.parseAsync(o),r}catch(e){return e instanceof t?e.exitCode===0?0:2:(n.err(`ghml: ${i(e)}`),e instanceof s?e.exitCode:1)}}process.exitCode=await p(process.argv);
