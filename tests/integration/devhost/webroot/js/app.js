window.devhostTest = 1;
