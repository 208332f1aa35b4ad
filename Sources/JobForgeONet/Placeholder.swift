// JobForgeONet
