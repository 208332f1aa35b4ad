// JobForgeTBS
