: # todo
