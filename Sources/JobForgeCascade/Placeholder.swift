// JobForgeCascade
