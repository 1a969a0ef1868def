# node-gyp build of the same sources as CMakeLists.txt, with libtorch from the package's resolver.
# package.json marks "gypfile": false so npm never builds this implicitly; `npx latent-emulator build --generator node-gyp`
# and `npm run prebuild` (prebuildify) use it.
{
  "variables": {
    "libtorch%": "<!(node scripts/libtorch-flags.mjs root)"
  },
  "targets": [
    {
      "target_name": "torch_pch",
      "type": "none",
      "actions": [
        {
          "action_name": "precompile_torch_headers",
          "inputs": ["native/core/pch.h"],
          "outputs": ["<(PRODUCT_DIR)/pch/core/pch.h.gch"],
          "action": ["node", "scripts/gyp-pch.mjs", "<(PRODUCT_DIR)", "<(PRODUCT_DIR)/pch/core/pch.h.gch"]
        }
      ]
    },
    {
      "target_name": "latent_emulator",
      "dependencies": ["torch_pch"],
      "sources": ["<!@(node scripts/libtorch-flags.mjs sources)"],
      "include_dirs": [
        "<(PRODUCT_DIR)/pch",
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native",
        "<(libtorch)/include",
        "<(libtorch)/include/torch/csrc/api/include"
      ],
      "defines": ["NAPI_VERSION=9", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS", "_GLIBCXX_USE_CXX11_ABI=1", "USE_DISTRIBUTED", "USE_C10D_GLOO"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["<!(node scripts/libtorch-flags.mjs std)", "<!@(node scripts/libtorch-flags.mjs nccl)", "-fexceptions", "-frtti", "-O2", "-fopenmp", "-fvisibility=hidden", "-Wno-unused-parameter", "-Wno-c++20-extensions", "-Winvalid-pch", "-Wno-sign-compare"],
      "libraries": ["-L<(libtorch)/lib", "-lc10", "-ltorch_cpu", "-ltorch", "-Wl,--as-needed"],
      "conditions": [
        ["OS=='linux'", {
          "libraries": ["<!@(node -e \"const fs=require('fs');const l=process.argv[1]+'/lib';for(const n of ['c10_cuda','torch_cuda'])if(fs.existsSync(l+'/lib'+n+'.so'))console.log('-l'+n)\" <(libtorch))"]
        }]
      ]
    }
  ]
}
