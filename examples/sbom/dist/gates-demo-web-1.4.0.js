console.log("gates demo web 1.4.0");
