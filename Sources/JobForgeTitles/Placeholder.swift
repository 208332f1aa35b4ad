// JobForgeTitles
