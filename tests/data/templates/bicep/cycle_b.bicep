module a 'cycle_a.bicep' = {
  name: 'a'
}
