// JobForgeOaSIS
